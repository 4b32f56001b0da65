// The studio's catalog pages: variant rows of the product editor (Alpine.js) and the photo
// drop zone (a dropped or chosen file is uploaded at once through the form's htmx request).
document.addEventListener("alpine:init", () => {
  window.Alpine.data("variantRows", () => ({
    rows: [],
    next: 0,
    init() {
      const source = document.getElementById(this.$el.dataset.rows);
      const given = source ? JSON.parse(source.textContent) : [];
      this.rows = given.map((row) => this.row(row));
      if (!this.rows.length) this.add();
    },
    row(values) {
      this.next += 1;
      return {
        key: this.next,
        id: values.id || "",
        sku: values.sku || "",
        price: values.price || "",
        quantity: values.quantity === undefined ? "0" : values.quantity,
        attributes: values.attributes || "",
        errors: values.errors || {},
      };
    },
    add() {
      this.rows.push(this.row({}));
      const key = this.next;
      this.$nextTick(() => {
        const field = document.getElementById(`v-sku-${key}`);
        if (field) field.focus();
      });
    },
    remove(index) {
      if (this.rows.length > 1) this.rows.splice(index, 1);
    },
  }));
});

function uploadFrom(form) {
  if (window.htmx) window.htmx.trigger(form, "submit");
  else form.requestSubmit();
}

document.addEventListener("change", (event) => {
  const input = event.target;
  if (input.matches && input.matches("form[data-upload] input[type=file]") && input.files.length) {
    uploadFrom(input.form);
  }
});

for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (event) => {
    const zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("sc-dragging");
  });
}

document.addEventListener("dragleave", (event) => {
  const zone = event.target.closest && event.target.closest("[data-dropzone]");
  if (zone) zone.classList.remove("sc-dragging");
});

document.addEventListener("drop", (event) => {
  const zone = event.target.closest && event.target.closest("[data-dropzone]");
  if (!zone) return;
  event.preventDefault();
  zone.classList.remove("sc-dragging");
  const files = event.dataTransfer && event.dataTransfer.files;
  const input = zone.querySelector("input[type=file]");
  if (!files || !files.length || !input) return;
  const chosen = new DataTransfer();
  chosen.items.add(files[0]);
  input.files = chosen.files;
  uploadFrom(input.form);
});

// After htmx replaces a section (alerts, photos), keyboard focus goes to its heading instead of
// being lost with the replaced button.
document.addEventListener("htmx:afterSettle", (event) => {
  const id = event.detail.target && event.detail.target.id;
  const box = id && document.getElementById(id);
  const heading = box && box.querySelector("[data-focus-after-swap]");
  if (heading) heading.focus();
});
