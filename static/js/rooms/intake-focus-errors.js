// GOV.UK pattern: move focus to the error summary so screen readers hear it first.
(function () { var summary = document.querySelector('.error-summary'); if (summary) { summary.focus(); } })();
