"""The yearly round: opening and closing it, the departments' answers and their history,
and "how far along are we?"."""
