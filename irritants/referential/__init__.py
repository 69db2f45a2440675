"""Reference data: territories (départements), administrations, démarches, contact channels."""
