import { type Locale, MAX_TITLE_LENGTH } from '@stop-motion/protocol';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ArrowForwardIcon, BackspaceIcon, CheckIcon, NameTagIcon, SpaceIcon } from '../../shared/theme/icons.js';
import { useUi } from '../../shared/ui/context.js';
import { applyKey, type KeyPress, LAYOUTS, layoutOrder, nextLayout } from './keyboard.js';

/**
 * An optional name for the film (operators can switch this step off). A kiosk has
 * no keyboard: big on-screen keys in Hebrew, Arabic and English (the child's UI
 * language first, a key to switch), a picture of what to do, and a way to skip.
 * A physical keyboard types into the same field.
 */
export function TitleScreen() {
  const { state, actions, t, locale } = useUi();
  const [title, setTitle] = useState('');
  const order = useMemo(() => layoutOrder(locale), [locale]);
  const [layoutLocale, setLayoutLocale] = useState<Locale>(locale);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const layout = LAYOUTS[layoutLocale];
  const finishing = state.flow.finishing;

  // The draft follows the field; taps faster than a render each see the latest text.
  useEffect(() => actions.setTitleDraft(title), [actions, title]);
  const change = (next: string) => setTitle(next);
  const key = (press: KeyPress) => setTitle((text) => applyKey(text, press, MAX_TITLE_LENGTH));

  return (
    <main className="screen title-screen" data-screen="title" aria-label={t('title.label')}>
      <form
        className="title-form"
        onSubmit={(e) => {
          e.preventDefault();
          actions.submitTitle(title);
        }}
      >
        <NameTagIcon className="title-cue" />
        <input
          ref={input}
          className="title-input"
          data-testid="title-input"
          aria-label={t('title.label')}
          value={title}
          maxLength={MAX_TITLE_LENGTH}
          dir="auto"
          autoComplete="off"
          // The on-screen keys below type here; no system keyboard pops up over them.
          inputMode="none"
          onChange={(e) => change(e.target.value)}
        />
        <button type="submit" className="title-ok" aria-label={t('title.ok')} data-testid="title-ok" disabled={finishing}>
          <CheckIcon />
        </button>
      </form>
      {/* Keys sit where they are on that language's physical keyboard, which is not mirrored. */}
      <div className="keyboard" data-testid="keyboard" data-layout={layout.locale} data-dir={layout.dir} dir="ltr" lang={layout.locale}>
        {layout.rows.map((row) => (
          <div className="keyboard-row" key={row.join('')}>
            {row.map((k) => (
              <button type="button" key={k} className="key" data-key={k} onClick={() => key({ kind: 'char', text: k })}>
                {k}
              </button>
            ))}
          </div>
        ))}
        <div className="keyboard-row keyboard-controls">
          <button
            type="button"
            className="key key-switch"
            data-testid="key-switch"
            aria-label={t('title.layout')}
            lang={nextLayout(order, layout.locale)}
            onClick={() => setLayoutLocale(nextLayout(order, layout.locale))}
          >
            {LAYOUTS[nextLayout(order, layout.locale)].name}
          </button>
          <button
            type="button"
            className="key key-space"
            data-testid="key-space"
            aria-label={t('title.space')}
            onClick={() => key({ kind: 'space' })}
          >
            <SpaceIcon />
          </button>
          <button
            type="button"
            className="key key-backspace"
            data-testid="key-backspace"
            aria-label={t('title.backspace')}
            onClick={() => key({ kind: 'backspace' })}
          >
            <BackspaceIcon />
          </button>
          <button
            type="button"
            className="key key-skip"
            data-testid="title-skip"
            aria-label={t('title.skip')}
            disabled={finishing}
            onClick={() => actions.submitTitle('')}
          >
            <ArrowForwardIcon />
          </button>
        </div>
      </div>
    </main>
  );
}
