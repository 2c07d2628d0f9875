"""gradual_exit's pure domain rules: no I/O, no clock, no database; plain data in, explained decisions out."""
