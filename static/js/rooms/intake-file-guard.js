// Progressive enhancement: a too-large file is refused before it is sent.
document.querySelectorAll('input[type=file][data-max-bytes]').forEach(function (input) {
  input.addEventListener('change', function () {
    var max = parseInt(input.dataset.maxBytes, 10), error = document.getElementById(input.id + '-error');
    var wrapper = input.closest('.field'), bad = null;
    Array.prototype.forEach.call(input.files, function (file) { if (!bad && file.size > max) { bad = file; } });
    if (bad) {
      error.textContent = input.dataset.tooLarge.replace('__NAME__', bad.name);
      error.hidden = false; wrapper.classList.add('field-error'); input.setAttribute('aria-invalid', 'true');
      input.value = '';
    } else {
      error.hidden = true; wrapper.classList.remove('field-error'); input.removeAttribute('aria-invalid');
    }
  });
});
