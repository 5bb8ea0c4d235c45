import { activityAttributes, redactAttributes } from '../../src/tracing';

test('spans leave without query strings, headers, client addresses or statement parameters; ids and SQL text stay', () => {
  expect(
    redactAttributes({
      'url.full': 'https://smba.example/v3/conversations/a:1/activities?token=secret#frag',
      'http.target': '/api/messages?name=Harriet',
      'url.path': '/api/messages',
      'url.query': 'name=Harriet',
      'http.request.header.authorization': ['Bearer x'],
      'client.address': '203.0.113.7',
      'db.query.text': 'INSERT INTO case_events (case_id) VALUES ($1)',
      'db.postgresql.values': ['Harriet'],
      'rj.case_id': '0f4c2a52-8d0e-4c55-9d7a-3b1f6a2c9e10',
    }),
  ).toEqual({
    'url.full': 'https://smba.example/v3/conversations/a:1/activities',
    'http.target': '/api/messages',
    'url.path': '/api/messages',
    'db.query.text': 'INSERT INTO case_events (case_id) VALUES ($1)',
    'rj.case_id': '0f4c2a52-8d0e-4c55-9d7a-3b1f6a2c9e10',
  });
});

test('a server span names the activity by its codes only: type, invoke name and card verb, never text or form values', () => {
  expect(
    activityAttributes({
      type: 'invoke',
      name: 'adaptiveCard/action',
      from: { name: 'Ava Officer' },
      value: { action: { verb: 'referral.submit', data: { offenderName: 'Olly Offender' } } },
    }),
  ).toEqual({ 'rj.activity.type': 'invoke', 'rj.activity.name': 'adaptiveCard/action', 'rj.card.verb': 'referral.submit' });
  expect(activityAttributes({ type: 'message', text: 'refer Harriet', value: { action: { verb: 'not a code: Harriet Harmed' } } })).toEqual({ 'rj.activity.type': 'message' });
  expect(activityAttributes(undefined)).toEqual({});
});
