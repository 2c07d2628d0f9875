"""exchange: entitled, minimised event streams for partner departments under data-sharing agreements kept as data."""
