/*
 * Bot Framework activities as they travel over HTTP, typed for the simulator and the tests' connector.
 * The simulator speaks the wire format on purpose and takes none of the SDK's types, so the SDK stays
 * inside src/bot, src/teams and dialogs/ (a later move to the Agents SDK touches only those).
 */

export interface WireAccount {
  id: string;
  name?: string;
  aadObjectId?: string;
  role?: string;
}

export interface WireConversation {
  id: string;
  conversationType?: string;
  tenantId?: string;
  isGroup?: boolean;
  name?: string;
}

export interface WireAttachment {
  contentType: string;
  content?: unknown;
  contentUrl?: string;
  name?: string;
}

export interface WireEntity {
  type: string;
  [key: string]: unknown;
}

export interface WireActivity {
  type: string;
  id: string;
  timestamp: Date;
  localTimestamp: Date;
  localTimezone: string;
  serviceUrl: string;
  channelId: string;
  from: WireAccount;
  recipient: WireAccount;
  conversation: WireConversation;
  text: string;
  textFormat: string;
  locale: string;
  attachments: WireAttachment[];
  entities: WireEntity[];
  channelData: unknown;
  value: unknown;
  name: string;
  replyToId: string;
  action: string;
  membersAdded: WireAccount[];
  membersRemoved: WireAccount[];
}
