// "Reply" under a message: the next message is sent as a reply to that one.
document.querySelectorAll('.intake-reply').forEach(function (link) {
  link.addEventListener('click', function () { document.getElementById('message_parent_id').value = link.dataset.parent; });
});
