/**
 * Who is acting, as established from a verified activity: the Entra object id and tenant, never a
 * display name. Built once per turn by the bot's tenant guard. Roles are not here: they come from the
 * roster, read when each action runs (StaffRoles.of).
 */
export interface Actor {
  aadObjectId: string;
  tenantId: string;
  /** True for the service's own tenant (coordinators, facilitators, in-house referrers). */
  staffTenant: boolean;
  /** The partner organisation the tenant maps to; undefined for the staff tenant. */
  organisation?: string;
  /**
   * The name Teams shows for them: used only to label staff on cards (a facilitator's co-facilitator,
   * who triaged), never to identify anyone or decide anything.
   */
  displayName?: string;
}
