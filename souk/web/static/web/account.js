// The account pages: a form that came back with errors moves focus to its summary, so that
// keyboard and screen-reader users hear what to fix.
document.addEventListener("DOMContentLoaded", () => {
  const alert = document.getElementById("form-alert");
  if (alert) alert.focus();
});
