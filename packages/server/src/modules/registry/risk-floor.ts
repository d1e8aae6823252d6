import type { PromotionPolicy } from '@plumb/sdk';

/** High and unacceptable risk: the classes whose rules no configured policy can lower. */
const FLOORED = new Set(['high', 'unacceptable']);

export function isFloored(riskClass: string): boolean {
  return FLOORED.has(riskClass);
}

/**
 * The policy in force: the configured one raised to the risk class's floor. From high risk up,
 * `champion` is always gated and every alias move needs approval, so a policy written as
 * `{ gatedAliases: [], approvalRequired: false }` cannot switch human oversight off.
 */
export function effectivePolicy(riskClass: string, configured: PromotionPolicy): PromotionPolicy {
  if (!isFloored(riskClass)) return configured;
  return {
    gatedAliases: configured.gatedAliases.includes('champion')
      ? configured.gatedAliases
      : ['champion', ...configured.gatedAliases],
    approvalRequired: true,
  };
}
