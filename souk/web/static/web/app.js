// Souk's pages: what every page shares. htmx sends the CSRF token (the body's hx-headers);
// an htmx request answered with an error shows the server's message instead of failing
// silently.
document.addEventListener("htmx:responseError", (event) => {
  const target = event.detail.target;
  const box = document.createElement("p");
  box.className = "message message-error";
  box.setAttribute("role", "alert");
  let text = "Something went wrong. Please try again.";
  try {
    const problem = JSON.parse(event.detail.xhr.responseText);
    text = problem.detail || problem.title || text;
  } catch (error) {
    // not JSON: an HTML error page, keep the generic message
  }
  box.textContent = text;
  if (target && target.parentNode) target.parentNode.insertBefore(box, target);
});
