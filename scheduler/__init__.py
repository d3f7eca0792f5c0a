"""What is due when (requests, reminders, chasing, digests) and the business-day calendar."""
