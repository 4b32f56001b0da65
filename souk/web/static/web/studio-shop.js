// The studio's forms say which shop they were shown for (the session's shop may have been
// switched in another tab since): each POST form in the studio's main section carries it.
(() => {
  const stamp = (root) => {
    const main = document.querySelector(".studio-main[data-studio-shop]");
    if (!main) return;
    const shop = main.dataset.studioShop;
    (root || main).querySelectorAll("form").forEach((form) => {
      if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
      if (form.querySelector("input[name=studio_shop]")) return;
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "studio_shop";
      input.value = shop;
      form.appendChild(input);
    });
  };
  // htmx posts made by an element that is not a form (a button with hx-post) carry it too.
  document.addEventListener("htmx:configRequest", (event) => {
    const main = event.detail.elt.closest && event.detail.elt.closest(".studio-main[data-studio-shop]");
    if (main && event.detail.verb === "post" && !("studio_shop" in event.detail.parameters)) {
      event.detail.parameters.studio_shop = main.dataset.studioShop;
    }
  });
  document.addEventListener("DOMContentLoaded", () => stamp());
  document.addEventListener("htmx:load", (event) => stamp(event.target));
})();
