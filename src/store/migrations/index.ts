import { sql as initial } from './001_initial';
import { sql as assignment } from './002_assignment';
import { sql as reminders } from './003_reminders';
import { sql as progress } from './004_progress';
import { sql as rosterEvents } from './005_roster_events';
import { sql as outbox } from './006_outbox';
import { sql as reconcilePending } from './007_reconcile_pending';
import { sql as formNonces } from './008_form_nonces';
import { sql as traceParent } from './009_trace_parent';
import { sql as tabDashboard } from './010_tab_dashboard';
import { sql as dueProjection } from './011_due_projection';
import { sql as encryption } from './012_encryption';
import { sql as accessAudit } from './013_access_audit';
import { sql as retention } from './014_retention';
import { sql as erasure } from './015_erasure';
import { sql as channelThreads } from './016_channel_threads';
import { sql as caseCardMessages } from './017_case_card_messages';

export interface Migration {
  /** Recorded in schema_migrations; applied in ascending order of this string. */
  readonly version: string;
  readonly sql: string;
}

/** Every migration, oldest first. Adding one: create NNN_name.ts exporting `sql` and list it here. */
export const MIGRATIONS: readonly Migration[] = [
  { version: '001_initial', sql: initial },
  { version: '002_assignment', sql: assignment },
  { version: '003_reminders', sql: reminders },
  { version: '004_progress', sql: progress },
  { version: '005_roster_events', sql: rosterEvents },
  { version: '006_outbox', sql: outbox },
  { version: '007_reconcile_pending', sql: reconcilePending },
  { version: '008_form_nonces', sql: formNonces },
  { version: '009_trace_parent', sql: traceParent },
  { version: '010_tab_dashboard', sql: tabDashboard },
  { version: '011_due_projection', sql: dueProjection },
  { version: '012_encryption', sql: encryption },
  { version: '013_access_audit', sql: accessAudit },
  { version: '014_retention', sql: retention },
  { version: '015_erasure', sql: erasure },
  { version: '016_channel_threads', sql: channelThreads },
  { version: '017_case_card_messages', sql: caseCardMessages },
];
