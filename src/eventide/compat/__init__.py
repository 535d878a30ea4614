"""Drop-in surfaces: the public names of other LLM client libraries, on eventide's one stream.

Porting is an import change: ``from eventide.compat.openai import OpenAI`` (or ``import
eventide.compat.openai as openai``) for the OpenAI Python SDK; the other modules do the same
for g4f and litellm. docs/porting.md lists every name and what it maps to.

Nothing is imported here: each module is loaded when it is imported by name.
"""
