/* The configurable (channel) tab's settings page: there is nothing to choose, so it saves at once. */
(function () {
  'use strict';
  var status = document.getElementById('status');
  if (typeof microsoftTeams === 'undefined') return;
  var ready = microsoftTeams.app.initialize();
  var timeout = new Promise(function (_, reject) { setTimeout(function () { reject(new Error('timeout')); }, 3000); });
  Promise.race([ready, timeout]).then(function () {
    microsoftTeams.pages.config.registerOnSaveHandler(function (saveEvent) {
      var base = window.location.origin + '/tab';
      microsoftTeams.pages.config.setConfig({ entityId: 'rj-dashboard', contentUrl: base, websiteUrl: base, suggestedDisplayName: 'RJ dashboard' })
        .then(function () { saveEvent.notifySuccess(); }, function (err) { saveEvent.notifyFailure(String(err)); });
    });
    microsoftTeams.pages.config.setValidityState(true);
  }, function () {
    status.textContent = 'This page is for adding the dashboard to a Teams channel; open it from Teams.';
  });
})();
