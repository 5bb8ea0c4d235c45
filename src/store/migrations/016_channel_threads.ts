/**
 * Each referral gets a thread of its own in the coordinators' channel. Registrations made before
 * stored the id of the thread the command was typed in (`19:…@thread.tacv2;messageid=<root>`), so
 * every card became a reply under that command: they are normalised to the channel itself, with a
 * conversation reference for it (copied from the command's, re-pointed at the channel), which new
 * threads are started from. Cases already posted keep their card where it is (their thread, if old,
 * is the command's). Never edit once shipped: add the next migration.
 */
export const sql = `
INSERT INTO conversation_refs (conversation_id, tenant_id, aad_object_id, conversation_type, service_url, reference)
SELECT split_part(r.conversation_id, ';messageid=', 1), r.tenant_id, NULL, 'channel', r.service_url,
       jsonb_set(r.reference, '{conversation,id}', to_jsonb(split_part(r.conversation_id, ';messageid=', 1)))
FROM settings s JOIN conversation_refs r ON r.conversation_id = s.value->>'conversationId'
WHERE s.key = 'referrals_channel'
ON CONFLICT (conversation_id) DO NOTHING;

UPDATE settings s
SET value = jsonb_build_object('channelId', split_part(r.conversation_id, ';messageid=', 1), 'tenantId', r.tenant_id, 'serviceUrl', r.service_url),
    updated_at = now()
FROM conversation_refs r
WHERE s.key = 'referrals_channel' AND s.value ? 'conversationId' AND r.conversation_id = s.value->>'conversationId';
`;
