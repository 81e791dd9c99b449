"""One module per dashboard page; each is thin layout over ``dashboard.loaders`` and ``dashboard.maps``."""
