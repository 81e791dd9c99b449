"""The published public site: the citizens' air-quality pages, the handling results of their complaints and open
data, written as static files.

Built from the same :class:`monitoring.public_snapshot.PublicSnapshot` as the Streamlit public page by
``python -m publish`` (``envmon publish``; ``--watch`` keeps it current, as the publisher service of
``envmon serve`` does after each poll round); served by any static web server.
"""
