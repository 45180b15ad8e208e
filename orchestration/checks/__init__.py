"""Asset checks by the stage they guard."""
