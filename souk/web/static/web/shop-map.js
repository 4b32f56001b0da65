// The shop's location picker: a Leaflet map drawing the country outlines (our own
// countries-50m.json via topojson-client; no tiles, nothing from the network), a draggable
// marker, and the latitude/longitude inputs kept in step for keyboard users.
(() => {
  const maps = [];
  function number(input) {
    const value = Number.parseFloat(input.value);
    return Number.isFinite(value) ? value : null;
  }

  function setUp(element) {
    const lat = document.getElementById("s-lat");
    const lng = document.getElementById("s-lng");
    const readonly = element.dataset.readonly === "1";
    const map = window.L.map(element, { worldCopyJump: true, attributionControl: false });
    maps.push(map);
    let marker = null;

    fetch(element.dataset.countries)
      .then((response) => response.json())
      .then((topology) => {
        const land = window.topojson.feature(topology, topology.objects.countries);
        window.L.geoJSON(land, {
          interactive: false,
          style: { color: "#7d6e5f", weight: 1, fillColor: "#f4efe6", fillOpacity: 1 },
        }).addTo(map);
        if (marker) marker.bringToFront?.();
      });

    function place(latitude, longitude, pan) {
      const point = [latitude, longitude];
      if (!marker) {
        marker = window.L.marker(point, { draggable: !readonly, keyboard: !readonly, title: element.getAttribute("aria-label") });
        marker.addTo(map);
        marker.on("dragend", () => {
          const at = marker.getLatLng().wrap();
          write(at.lat, at.lng);
        });
      } else {
        marker.setLatLng(point);
      }
      if (pan) map.setView(point, Math.max(map.getZoom() || 0, 6));
    }

    function write(latitude, longitude) {
      lat.value = latitude.toFixed(6);
      lng.value = longitude.toFixed(6);
      lat.dispatchEvent(new Event("input", { bubbles: true }));
    }

    const start = [number(lat), number(lng)];
    if (start[0] !== null && start[1] !== null) {
      map.setView(start, 8);
      place(start[0], start[1], false);
    } else {
      map.setView([20, 10], 2);
    }

    if (!readonly) {
      map.on("click", (event) => {
        const at = event.latlng.wrap();
        place(at.lat, at.lng, false);
        write(at.lat, at.lng);
      });
      for (const input of [lat, lng]) {
        input.addEventListener("change", () => {
          const a = number(lat);
          const b = number(lng);
          if (a !== null && b !== null && Math.abs(a) <= 90 && Math.abs(b) <= 180) place(a, b, true);
        });
      }
    }
  }

  // a map sized while hidden or before a resize redraws itself at its new size
  window.addEventListener("resize", () => {
    for (const map of maps) map.invalidateSize();
  });

  document.addEventListener("DOMContentLoaded", () => {
    for (const element of document.querySelectorAll("[data-map]")) setUp(element);
  });
})();
