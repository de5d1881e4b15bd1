"""Feature definitions grouped by concept; `features.catalogue.catalogue()` collects them."""
