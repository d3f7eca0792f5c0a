"""What the committee reads beside the answers: this year against last year, the summary
sentences, the indicators and their values, its own evaluations, and last year's results
imported from the office's table."""
