import type { BankContext } from './index.ts';

export async function bankById(ctx: BankContext, id: string) {
  const bank = await ctx.loaders.bank.load(id);
  return bank ? { id: bank._id, name: bank.name } : null;
}
