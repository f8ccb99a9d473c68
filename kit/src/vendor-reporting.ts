// Apollo Server reports usage and schemas to Apollo's cloud when APOLLO_KEY / APOLLO_GRAPH_REF /
// APOLLO_SCHEMA_REPORTING happen to be set in the environment. The product calls nothing the
// operator did not configure, so both are switched off in code, whatever the environment says.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';

export function vendorReportingOff<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx>[] {
  return [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()] as ApolloServerPlugin<Ctx>[];
}
