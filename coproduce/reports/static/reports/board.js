// The synthesis board's drag and drop. Without it (or without a mouse) each card's own form does the
// same: dropping a card on a section chooses that section in the card's form and submits it.
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board || !window.fetch || !window.FormData) {
    return;
  }
  var dragged = null;

  function send(card, sectionValue) {
    var form = card.querySelector("form[data-place-form]");
    if (!form) {
      return;
    }
    var select = form.querySelector("select[name='section']");
    if (select.value === sectionValue) {
      return;
    }
    select.value = sectionValue;
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    fetch(form.getAttribute("action"), { // not form.action: the input named "action" shadows it
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Board": "drag" },
    }).then(
      function (response) {
        if (response.ok) {
          window.location.hash = card.id;
          window.location.reload();
        } else {
          form.submit(); // let the server show what went wrong, as without JavaScript
        }
      },
      function () {
        form.submit();
      }
    );
  }

  board.querySelectorAll("[data-card]").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      if (event.target !== card) {
        return; // text selected inside a form field, not the card
      }
      dragged = card;
      card.classList.add("reports-card--dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("reports-card--dragging");
      dragged = null;
    });
  });

  board.querySelectorAll("[data-drop-section]").forEach(function (zone) {
    zone.addEventListener("dragover", function (event) {
      if (dragged) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        zone.classList.add("reports-drop-target");
      }
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) {
        zone.classList.remove("reports-drop-target");
      }
    });
    zone.addEventListener("drop", function (event) {
      zone.classList.remove("reports-drop-target");
      if (!dragged) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      var card = dragged;
      dragged = null;
      send(card, zone.getAttribute("data-drop-section"));
    });
  });
})();
