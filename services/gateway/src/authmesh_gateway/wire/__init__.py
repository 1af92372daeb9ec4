"""Better-Auth's wire format, reproduced byte for byte: pure functions, no I/O."""
