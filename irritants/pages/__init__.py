"""Static public pages (accessibility statement, legal notices…) and health probes."""
