"""The pages' routes: sign-in, the portfolio, the watchlist and worklist, and the customer."""
