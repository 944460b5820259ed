"""Parameters: the registry of every setting and the policy timeline (the bottom layer)."""
