// Maps of shops and goods: Leaflet with vector layers only. The basemap is the country
// outlines of world-atlas (countries-50m.json, a static file) turned into GeoJSON by
// topojson-client; no tiles and no network address, so the map works offline. Points come
// from the page (a JSON script #map-points, and #map-centre for the searched circle) and are
// redrawn when htmx swaps in new results. The "Use my location" button fills the near-me
// form from the browser's geolocation; when that is denied the city list still works.
(() => {
  const COLOURS = { shop: "#9a3b12", product: "#1a5fb4", centre: "#1d6b3a" };
  let map = null;
  let layer = null;

  // Leaflet puts a string tooltip in as HTML: names typed by artisans go in as text.
  const text = (value) => {
    const node = document.createElement("span");
    node.textContent = value;
    return node;
  };

  const readPoints = () => {
    const script = document.getElementById("map-points");
    if (!script) return [];
    try {
      return JSON.parse(script.textContent) || [];
    } catch (error) {
      return [];
    }
  };

  const popup = (point, labels) => {
    const box = document.createElement("div");
    const kind = document.createElement("small");
    kind.textContent = point.kind === "shop" ? labels.shop : labels.product;
    box.appendChild(kind);
    box.appendChild(document.createElement("br"));
    const name = point.url ? document.createElement("a") : document.createElement("strong");
    if (point.url) name.href = point.url;
    name.textContent = point.name;
    box.appendChild(name);
    if (point.distance_km !== null && point.distance_km !== undefined) {
      box.appendChild(document.createTextNode(` · ${Number(point.distance_km).toFixed(1)} km`));
    }
    return box;
  };

  const draw = (element) => {
    if (!map) return;
    if (layer) layer.remove();
    layer = L.featureGroup().addTo(map);
    const labels = { shop: element.dataset.shopLabel, product: element.dataset.productLabel };
    const centre = document.getElementById("map-centre");
    if (centre) {
      const at = [Number(centre.dataset.lat), Number(centre.dataset.lng)];
      L.circle(at, {
        radius: Number(centre.dataset.radius) * 1000,
        color: COLOURS.centre,
        weight: 1,
        fillOpacity: 0.05,
        interactive: false,
      }).addTo(layer);
      L.circleMarker(at, {
        radius: 5,
        color: COLOURS.centre,
        fillOpacity: 1,
        interactive: false,
      }).addTo(layer);
    }
    const points = readPoints();
    // Shops first, then goods on top of them.
    points.forEach((point) => {
      L.circleMarker([point.lat, point.lng], {
        radius: point.kind === "shop" ? 11 : 5,
        color: point.kind === "shop" ? COLOURS.shop : "#fff",
        weight: point.kind === "shop" ? 3 : 2,
        fillOpacity: point.kind === "shop" ? 0.35 : 0.9,
        fillColor: COLOURS[point.kind] || COLOURS.product,
      })
        .bindPopup(popup(point, labels))
        .bindTooltip(text(point.name))
        .addTo(layer);
    });
    const bounds = layer.getBounds();
    if (!centre && points.length === 1) {
      // One place (a shop): close enough to see the town, far enough to see the coast.
      map.setView([points[0].lat, points[0].lng], 7);
    } else if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 12 });
    }
  };

  const basemap = (element) =>
    fetch(element.dataset.basemap)
      .then((response) => response.json())
      .then((topology) => {
        const countries = topojson.feature(topology, topology.objects.countries);
        L.geoJSON(countries, {
          interactive: false,
          style: { color: "#8c7b6b", weight: 0.8, fillColor: "#f3ede4", fillOpacity: 1 },
        }).addTo(map);
        if (layer) layer.bringToFront();
      });

  const start = () => {
    const element = document.getElementById("map");
    if (!element || typeof L === "undefined") return;
    map = L.map(element, {
      worldCopyJump: true,
      minZoom: 2,
      maxZoom: 16,
      renderer: L.svg({ padding: 0.5 }),
      attributionControl: true,
    }).setView([25, 10], 2);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth");
    L.control.scale({ imperial: false }).addTo(map);
    element.classList.add("map-ready");
    basemap(element).then(() => draw(element), () => draw(element));
  };

  // New results swapped in by htmx (an outerHTML swap: the section is a new element).
  document.addEventListener("htmx:load", (event) => {
    const element = document.getElementById("map");
    if (element && event.detail.elt && event.detail.elt.id === "near-results") draw(element);
  });

  const locate = () => {
    const button = document.getElementById("use-location");
    if (!button) return;
    const status = document.getElementById("location-status");
    const form = document.getElementById("near-form");
    button.addEventListener("click", () => {
      const denied = () => {
        status.textContent = button.dataset.denied;
        document.getElementById("near-city").focus();
      };
      if (!navigator.geolocation) {
        denied();
        return;
      }
      status.textContent = button.dataset.busy;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          status.textContent = "";
          document.getElementById("near-city").value = "";
          document.getElementById("near-lat").value = position.coords.latitude.toFixed(6);
          document.getElementById("near-lng").value = position.coords.longitude.toFixed(6);
          form.requestSubmit();
        },
        denied,
        { timeout: 10000, maximumAge: 600000 },
      );
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    start();
    locate();
  });
})();
