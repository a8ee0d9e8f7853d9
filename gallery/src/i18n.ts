export const LOCALES = ['en', 'he', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];

export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', he: 'עברית', ar: 'العربية' };

const en = {
  siteName: 'Stop Motion Festival',
  tagline: 'Films made by children at the stop-motion stations',
  films: 'Films',
  noFilms: 'No films yet. The first ones are being made right now!',
  older: 'Older films',
  newest: 'Back to the newest',
  untitled: 'Untitled film',
  seconds: (n: number) => `${n} s`,
  watch: (title: string) => `Watch ${title}`,
  download: 'Download',
  share: 'Share',
  copyLink: 'Copy link',
  copied: 'Link copied',
  linkLabel: 'Link to this film',
  allFilms: 'All films',
  onItsWayTitle: 'Your film is on its way',
  onItsWayBody: 'It is being made into a movie right now. This page checks again by itself every few seconds — keep it open.',
  reviewTitle: 'Your film is waiting for review',
  reviewBody:
    'Your film is made. Someone from the festival looks at every film before it goes on the website; it appears here once they have. This page checks again by itself.',
  checkNow: 'Check now',
  privateTitle: 'Your film is for the big screen only',
  privateBody: 'The festival team decided to show your film on the big screen at the festival only. It will not be on the website.',
  notFoundTitle: 'Film not found',
  notFoundBody: 'This film does not exist, or it was taken down.',
  errorTitle: 'Something went wrong',
  errorBody: 'Please try again in a moment.',
  removeTitle: 'This is your film',
  removeBody: 'You made this film. You can take it off the website; it cannot be undone.',
  removeButton: 'Remove my film',
  removeConfirm: 'Remove this film from the website for good?',
  removed: 'Your film was removed.',
  removeFailed: 'That did not work. Please try again later.',
  language: 'Language',
  videoFallback: 'Your browser cannot play this video. Use the download link.',
  madeAt: (date: string) => `Made on ${date}`,
  hasSound: 'This film has sound',
  soundOn: 'Turn the sound on',
  wallScan: 'Scan to watch every film',
  wallOffline: 'Reconnecting…',
  codeTitle: 'Find your film by its code',
  codeBody: 'The six letters and digits under the QR code, on the screen or the ticket.',
  codeLabel: 'Code',
  codeFind: 'Find my film',
  codeLink: 'Have a code?',
  codeNotFound: 'No film with this code yet. A film made a minute ago may still be on its way: try again soon.',
  codeInvalid: 'A code has six letters and digits, like 7K3QXZ.',
  codeTooMany: 'Too many tries. Please wait a minute and try again.',
};
export type Messages = typeof en;

const he: Messages = {
  siteName: 'פסטיבל סטופ מושן',
  tagline: 'סרטים שילדים יצרו בעמדות הסטופ מושן',
  films: 'סרטים',
  noFilms: 'עדיין אין סרטים. הראשונים נוצרים ממש עכשיו!',
  older: 'סרטים קודמים',
  newest: 'חזרה לחדשים ביותר',
  untitled: 'סרט ללא שם',
  seconds: (n) => `${n} שנ׳`,
  watch: (title) => `לצפייה ב${title}`,
  download: 'הורדה',
  share: 'שיתוף',
  copyLink: 'העתקת קישור',
  copied: 'הקישור הועתק',
  linkLabel: 'קישור לסרט הזה',
  allFilms: 'כל הסרטים',
  onItsWayTitle: 'הסרט שלך בדרך',
  onItsWayBody: 'הוא הופך לסרט ממש עכשיו. הדף הזה בודק שוב בעצמו כל כמה שניות — אפשר להשאיר אותו פתוח.',
  reviewTitle: 'הסרט שלך ממתין לבדיקה',
  reviewBody: 'הסרט שלך מוכן. מישהו מצוות הפסטיבל צופה בכל סרט לפני שהוא עולה לאתר; הוא יופיע כאן אחרי הבדיקה. הדף הזה בודק שוב בעצמו.',
  checkNow: 'לבדוק עכשיו',
  privateTitle: 'הסרט שלך מוצג רק על המסך הגדול',
  privateBody: 'צוות הפסטיבל החליט להציג את הסרט שלך רק על המסך הגדול בפסטיבל. הוא לא יעלה לאתר.',
  notFoundTitle: 'הסרט לא נמצא',
  notFoundBody: 'הסרט הזה לא קיים, או שהוסר.',
  errorTitle: 'משהו השתבש',
  errorBody: 'נסו שוב בעוד רגע.',
  removeTitle: 'זה הסרט שלך',
  removeBody: 'יצרת את הסרט הזה. אפשר להסיר אותו מהאתר; אי אפשר לבטל את ההסרה.',
  removeButton: 'הסרת הסרט שלי',
  removeConfirm: 'להסיר את הסרט הזה מהאתר לצמיתות?',
  removed: 'הסרט שלך הוסר.',
  removeFailed: 'זה לא הצליח. נסו שוב מאוחר יותר.',
  language: 'שפה',
  videoFallback: 'הדפדפן לא יכול לנגן את הסרט. אפשר להוריד אותו.',
  madeAt: (date) => `נוצר ב־${date}`,
  hasSound: 'לסרט הזה יש צליל',
  soundOn: 'להפעלת הצליל',
  wallScan: 'סרקו כדי לצפות בכל הסרטים',
  wallOffline: 'מתחבר מחדש…',
  codeTitle: 'מציאת הסרט לפי הקוד',
  codeBody: 'שש האותיות והספרות שמתחת לקוד ה־QR, על המסך או על הכרטיס.',
  codeLabel: 'קוד',
  codeFind: 'למצוא את הסרט שלי',
  codeLink: 'יש לך קוד?',
  codeNotFound: 'עדיין אין סרט עם הקוד הזה. סרט שנוצר לפני דקה עוד יכול להיות בדרך: כדאי לנסות שוב בקרוב.',
  codeInvalid: 'לקוד יש שש אותיות וספרות, למשל 7K3QXZ.',
  codeTooMany: 'יותר מדי ניסיונות. כדאי לחכות דקה ולנסות שוב.',
};

const ar: Messages = {
  siteName: 'مهرجان ستوب موشن',
  tagline: 'أفلام صنعها الأطفال في محطات ستوب موشن',
  films: 'الأفلام',
  noFilms: 'لا توجد أفلام بعد. الأفلام الأولى قيد الصنع الآن!',
  older: 'أفلام أقدم',
  newest: 'العودة إلى الأحدث',
  untitled: 'فيلم بلا عنوان',
  seconds: (n) => `${n} ث`,
  watch: (title) => `شاهد ${title}`,
  download: 'تنزيل',
  share: 'مشاركة',
  copyLink: 'نسخ الرابط',
  copied: 'تم نسخ الرابط',
  linkLabel: 'رابط هذا الفيلم',
  allFilms: 'كل الأفلام',
  onItsWayTitle: 'فيلمك في الطريق',
  onItsWayBody: 'يتم تحويله إلى فيلم الآن. هذه الصفحة تتحقق من جديد تلقائيًا كل بضع ثوانٍ — أبقها مفتوحة.',
  reviewTitle: 'فيلمك بانتظار المراجعة',
  reviewBody:
    'فيلمك جاهز. يشاهد أحد أعضاء فريق المهرجان كل فيلم قبل نشره على الموقع؛ سيظهر هنا بعد المراجعة. هذه الصفحة تتحقق من جديد تلقائيًا.',
  checkNow: 'تحقق الآن',
  privateTitle: 'فيلمك للشاشة الكبيرة فقط',
  privateBody: 'قرر فريق المهرجان عرض فيلمك على الشاشة الكبيرة في المهرجان فقط. لن يظهر على الموقع.',
  notFoundTitle: 'الفيلم غير موجود',
  notFoundBody: 'هذا الفيلم غير موجود، أو تمت إزالته.',
  errorTitle: 'حدث خطأ ما',
  errorBody: 'يرجى المحاولة مرة أخرى بعد لحظة.',
  removeTitle: 'هذا فيلمك',
  removeBody: 'أنت صنعت هذا الفيلم. يمكنك إزالته من الموقع؛ لا يمكن التراجع عن ذلك.',
  removeButton: 'إزالة فيلمي',
  removeConfirm: 'هل تريد إزالة هذا الفيلم من الموقع نهائيًا؟',
  removed: 'تمت إزالة فيلمك.',
  removeFailed: 'لم ينجح ذلك. يرجى المحاولة لاحقًا.',
  language: 'اللغة',
  videoFallback: 'متصفحك لا يستطيع تشغيل هذا الفيديو. استخدم رابط التنزيل.',
  madeAt: (date) => `صُنع في ${date}`,
  hasSound: 'لهذا الفيلم صوت',
  soundOn: 'تشغيل الصوت',
  wallScan: 'امسح الرمز لمشاهدة كل الأفلام',
  wallOffline: 'جارٍ إعادة الاتصال…',
  codeTitle: 'ابحث عن فيلمك برمزه',
  codeBody: 'الحروف والأرقام الستة تحت رمز QR، على الشاشة أو على التذكرة.',
  codeLabel: 'الرمز',
  codeFind: 'ابحث عن فيلمي',
  codeLink: 'لديك رمز؟',
  codeNotFound: 'لا يوجد فيلم بهذا الرمز بعد. قد يكون الفيلم الذي صُنع قبل دقيقة في الطريق: حاول مرة أخرى قريبًا.',
  codeInvalid: 'يتكوّن الرمز من ستة حروف وأرقام، مثل 7K3QXZ.',
  codeTooMany: 'محاولات كثيرة جدًا. انتظر دقيقة ثم حاول مرة أخرى.',
};

export const MESSAGES: Record<Locale, Messages> = { en, he, ar };

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);

export const dirOf = (l: Locale): 'ltr' | 'rtl' => (l === 'en' ? 'ltr' : 'rtl');

/** Best supported language from an Accept-Language header (q-values honoured). */
export function fromAcceptLanguage(header: string | undefined): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q) : 1, i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    const lang = r.lang === 'iw' ? 'he' : r.lang;
    if (isLocale(lang)) return lang;
  }
  return null;
}

/** ?lang= beats the cookie, the cookie beats Accept-Language; English otherwise. */
export function chooseLocale(asked: unknown, cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(asked)) return asked;
  if (isLocale(cookie)) return cookie;
  return fromAcceptLanguage(acceptLanguage) ?? 'en';
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** A film's date in the page's language, as the day it was in the event's time zone (EVENT_TIMEZONE). */
export function formatDate(iso: string, locale: Locale, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone });
    dateFormats.set(key, format);
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso.slice(0, 10) : format.format(d);
}
