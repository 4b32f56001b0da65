// The search box's suggestions: a combobox whose listbox htmx fills as the shopper types
// (shop:suggest). Arrow keys move through the options, Enter opens the chosen product,
// Escape closes the list. Loaded once by the search box on every page.
(() => {
  if (window.soukSearchBox) return;
  window.soukSearchBox = true;

  const parts = () => {
    const input = document.getElementById("site-search");
    const list = document.getElementById("site-search-options");
    return input && list ? { input, list } : null;
  };

  const options = (list) => Array.from(list.querySelectorAll('[role="option"]'));

  const close = ({ input, list }) => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const open = ({ input, list }) => {
    const any = options(list).length > 0;
    list.hidden = !any;
    input.setAttribute("aria-expanded", any ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
  };

  const highlight = ({ input, list }, index) => {
    const all = options(list);
    all.forEach((option, at) => option.setAttribute("aria-selected", at === index ? "true" : "false"));
    if (index >= 0 && all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  document.addEventListener("htmx:afterSwap", (event) => {
    const box = parts();
    if (box && event.detail.target === box.list) open(box);
  });

  document.addEventListener("keydown", (event) => {
    const box = parts();
    if (!box || event.target !== box.input) return;
    const all = options(box.list);
    const current = all.findIndex((option) => option.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      if (box.list.hidden) open(box);
      const step = event.key === "ArrowDown" ? 1 : -1;
      // -1 is the input itself: moving past either end comes back to what was typed.
      let next = current + step;
      if (next >= all.length) next = -1;
      if (next < -1) next = all.length - 1;
      highlight(box, next);
    } else if (event.key === "Enter" && current >= 0 && !box.list.hidden) {
      event.preventDefault();
      window.location.assign(all[current].dataset.href);
    } else if (event.key === "Escape" && !box.list.hidden) {
      event.preventDefault();
      close(box);
    }
  });

  // A click on an option follows its link; keep the input's focus until then.
  document.addEventListener("mousedown", (event) => {
    const box = parts();
    if (box && box.list.contains(event.target)) event.preventDefault();
  });

  document.addEventListener("focusout", (event) => {
    const box = parts();
    if (box && event.target === box.input) close(box);
  });
})();
