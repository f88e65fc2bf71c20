"""Pure rules of the method: no I/O, no database, no clock (time is an argument)."""
