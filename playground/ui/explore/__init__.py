"""The Explore tab: decode with the controls, draw the five views, share and export."""
