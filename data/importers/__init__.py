"""Complaint importers: readers per format, column profiles, normalisation, the batch pipeline, Open311."""
