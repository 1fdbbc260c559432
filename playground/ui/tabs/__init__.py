"""The other tabs (Compare, Sample, What-if, Learn), each a module that builds and wires itself, with its charts."""
