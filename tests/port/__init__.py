"""The port suite: other libraries' documented examples, run on eventide with only the import
changed, against a real HTTP server on 127.0.0.1."""
