// Counts down the wait before a choice is available ("Get a new code"
// during its cooldown) and enables its button when it is over. The page
// does without it: the server disables the button and says how long to
// wait, and a reload shows the button enabled once the wait is over.
"use strict";
document.querySelectorAll("button[data-wait]").forEach(function (button) {
  var end = Date.now() + Number(button.getAttribute("data-wait")) * 1000;
  var label = button.getAttribute("data-label");
  var note = document.getElementById(button.getAttribute("aria-describedby"));
  var count = note && note.querySelector(".count");
  function tick() {
    var left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      button.removeAttribute("aria-describedby");
      if (note) {
        // Said once, politely: the button can be used now.
        note.setAttribute("role", "status");
        note.textContent = note.getAttribute("data-done");
      }
      return;
    }
    button.textContent = label + " (" + left + " s)";
    if (count) {
      count.textContent = String(left);
    }
    setTimeout(tick, Math.min(1000, end - Date.now() - (left - 1) * 1000));
  }
  tick();
});
