"""What every tab uses: the control table, event helpers, chart style, labels, examples, downloads, runtime."""
