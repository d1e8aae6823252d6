import { useSession } from '../../api.js';

/** A key id, short, whole on hover; the signed-in key by its name. */
export function KeyId({ id }: { id: string }) {
  const { me } = useSession();
  if (id === me.keyId) return <span title={id}>you ({me.keyName})</span>;
  return <span title={id}>{id.length > 14 ? `${id.slice(0, 4)}…${id.slice(-6)}` : id}</span>;
}
