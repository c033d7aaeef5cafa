/**
 * "Copy share link": the link is built from the experiment in the store (controller.currentHash()), not
 * read from the address bar, so it holds what is on screen even while the URL write is pending. Used by the
 * Experiments panel and by the classroom bar (the side panels are hidden in classroom mode).
 */
import { useState } from 'react';
import { useController, useWorkbench } from '../context';

/** This page's address with `hash` as its experiment (query flags such as ?backend= kept). */
export function shareUrl(href: string, hash: string): string {
  const u = new URL(href);
  u.hash = '';
  return `${u.href.replace(/#$/, '')}#${hash}`;
}

export function CopyLinkButton({
  className = 'link-button',
  testId = 'copy-link',
}: {
  className?: string;
  testId?: string;
}) {
  const controller = useController();
  const ready = useWorkbench((s) => s.model.info !== null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const hash = controller.currentHash();
    if (hash === null) return;
    const url = shareUrl(window.location.href, hash);
    controller.writeNow(); // the address bar too, at once
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      window.prompt('Copy this link:', url);
    }
  };
  return (
    <button
      type="button"
      className={className}
      onClick={copy}
      disabled={!ready}
      data-testid={testId}
      data-copied={copied ? 'true' : undefined}
    >
      {copied ? 'Link copied' : 'Copy share link'}
    </button>
  );
}
