"""The retrospective (REQ-30): drafted from recorded data, completed by people; action items to closure."""
