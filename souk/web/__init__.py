"""Souk's web pages: the shopper's pages (`/`) and the artisan's studio (`/studio/`).

The top of the app chain: server-rendered Django templates over the same services and
selectors as the API (no business rule of its own), with htmx, Alpine.js, Chart.js and Leaflet
from npm served as static files (scripts/frontend.sh). Pages sign in with Django's session and
CSRF; the JSON API keeps its tokens."""
