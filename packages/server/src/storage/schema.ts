/**
 * Every table Plumb has. Storage knows no module: each module adds its own tables to this
 * interface from its `*.tables.ts` (TypeScript declaration merging), so the type is composed
 * from the modules that are compiled in.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the modules' table declarations
export interface Database {}
