"""The port suite: code for other libraries, run on eventide with only the import changed."""
