"""Drop-in surfaces: modules shaped like other libraries, so porting is an import change."""
