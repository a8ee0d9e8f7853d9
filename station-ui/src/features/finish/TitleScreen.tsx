import { MAX_TITLE_LENGTH } from '@stop-motion/protocol';
import { useEffect, useRef, useState } from 'react';
import { CheckIcon } from '../../shared/theme/icons.js';
import { useUi } from '../../shared/ui/context.js';

/** An optional name for the film (operators can switch this step off). */
export function TitleScreen() {
  const { state, actions, t } = useUi();
  const [title, setTitle] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <main className="screen title-screen" data-screen="title" aria-label={t('title.label')}>
      <form
        className="title-form"
        onSubmit={(e) => {
          e.preventDefault();
          actions.submitTitle(title);
        }}
      >
        <input
          ref={input}
          className="title-input"
          data-testid="title-input"
          aria-label={t('title.label')}
          value={title}
          maxLength={MAX_TITLE_LENGTH}
          dir="auto"
          autoComplete="off"
          onChange={(e) => {
            setTitle(e.target.value);
            actions.setTitleDraft(e.target.value);
          }}
        />
        <button type="submit" className="title-ok" aria-label={t('title.ok')} data-testid="title-ok" disabled={state.flow.finishing}>
          <CheckIcon />
        </button>
      </form>
    </main>
  );
}
