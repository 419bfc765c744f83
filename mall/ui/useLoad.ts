import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../backend/web/ui/session';

/** Load is the state of one fetch: loading, failed with a message, or done. */
export type Load<T> = { state: 'loading' } | { state: 'error'; message: string; notFound: boolean } | { state: 'done'; data: T };

/** useLoad runs fetcher whenever key changes and ignores answers for stale keys. */
export function useLoad<T>(key: string, fetcher: () => Promise<T>): Load<T> {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    fetcher().then(
      (data) => live && setLoad({ state: 'done', data }),
      (e: unknown) =>
        live &&
        setLoad({
          state: 'error',
          message: errorMessage(e),
          notFound: typeof e === 'object' && e !== null && (e as { status?: number }).status === 404,
        }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return load;
}
