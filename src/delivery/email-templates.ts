/**
 * Every message the server sends, in the recipient's language: the ticket
 * emails (verification, reset, email change and its notice) and the sign-in
 * codes and links (email and SMS). Templates are Mustache, and every value in
 * an HTML part is escaped by escape-html (`{{value}}`), never by a helper of ours.
 *
 * A message's language is the user's `locale` ("pt-BR"), else its language
 * ("pt"), else the default locale (EMAIL_DEFAULT_LOCALE, "en"). Each template
 * may be replaced per locale from a folder (EMAIL_TEMPLATES_DIR:
 * `<locale>/<template>.subject`, `.txt`, `.html`), per locale by the embedder
 * (`emailTemplatesByLocale`), or for every locale (`emailTemplates`).
 */
import { type Dirent, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import escapeHtml from "escape-html";
import Mustache from "mustache";
import { StartupError } from "../config.js";
import type { EmailMessage } from "./mailer.js";

export interface TemplateInput {
  link: string;
  email: string;
  displayName: string;
  /** Minutes until the link expires. */
  expiresInMinutes: number;
  /** For emailChanged: the address the account moved to. */
  newEmail?: string;
}

export type EmailTemplate = (input: TemplateInput) => Omit<EmailMessage, "to">;

export interface EmailTemplates {
  emailVerify: EmailTemplate;
  passwordReset: EmailTemplate;
  emailConfirmChange: EmailTemplate;
  /** A notice to the address an account left (no ticket in it). */
  emailChanged: EmailTemplate;
}

export interface CodeMessageInput {
  userInputCode?: string;
  link?: string;
  expiresInMinutes: number;
}

/** Everything sent, for one locale. */
export interface Messages extends EmailTemplates {
  signInEmail(input: CodeMessageInput): Omit<EmailMessage, "to">;
  signInSms(input: CodeMessageInput): string;
}

export interface LocalisedMessages {
  /** The messages for `locale` (a BCP 47 tag; null or unknown: the default locale). */
  for(locale?: string | null): Messages;
  /** The locales with built-in or configured messages. */
  locales: string[];
}

/** The words of one language; `{{...}}` are filled from the message's input. */
interface Phrases {
  hello: string;
  helloName: string;
  linkExpires: string;
  emailVerify: { subject: string; intro: string; action: string };
  passwordReset: { subject: string; intro: string; action: string };
  emailConfirmChange: { subject: string; intro: string; action: string };
  emailChanged: { subject: string; notice: string };
  signIn: {
    codeSubject: string;
    linkSubject: string;
    code: string;
    link: string;
    action: string;
    expires: string;
    smsCode: string;
    smsLink: string;
    smsExpires: string;
  };
}

const PHRASES: Record<string, Phrases> = {
  en: {
    hello: "Hello,",
    helloName: "Hello {{displayName}},",
    linkExpires: "The link expires in {{expiresInMinutes}} minutes. If you did not ask for this, ignore this email.",
    emailVerify: { subject: "Verify your email address", intro: "Open this link to verify your email address:", action: "Verify email" },
    passwordReset: { subject: "Reset your password", intro: "Open this link to choose a new password:", action: "Reset password" },
    emailConfirmChange: {
      subject: "Confirm your new email address",
      intro: "Open this link to make this your account's email address:",
      action: "Confirm email",
    },
    emailChanged: {
      subject: "Your email address was changed",
      notice:
        "The email address of your account was changed to {{newEmail}}. If you did not do this, reset your password from the sign-in page and contact support.",
    },
    signIn: {
      codeSubject: "Your sign-in code: {{userInputCode}}",
      linkSubject: "Your sign-in link",
      code: "Your sign-in code is {{userInputCode}}",
      link: "Open this link to sign in:",
      action: "Sign in",
      expires: "It expires in {{expiresInMinutes}} minutes. If you did not ask to sign in, ignore this email.",
      smsCode: "Your sign-in code is {{userInputCode}}.",
      smsLink: "Sign in: {{link}}",
      smsExpires: "Expires in {{expiresInMinutes}} min.",
    },
  },
  de: {
    hello: "Hallo,",
    helloName: "Hallo {{displayName}},",
    linkExpires: "Der Link ist {{expiresInMinutes}} Minuten gültig. Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.",
    emailVerify: {
      subject: "Bestätigen Sie Ihre E-Mail-Adresse",
      intro: "Öffnen Sie diesen Link, um Ihre E-Mail-Adresse zu bestätigen:",
      action: "E-Mail bestätigen",
    },
    passwordReset: { subject: "Passwort zurücksetzen", intro: "Öffnen Sie diesen Link, um ein neues Passwort zu wählen:", action: "Passwort zurücksetzen" },
    emailConfirmChange: {
      subject: "Bestätigen Sie Ihre neue E-Mail-Adresse",
      intro: "Öffnen Sie diesen Link, um diese Adresse zur E-Mail-Adresse Ihres Kontos zu machen:",
      action: "E-Mail bestätigen",
    },
    emailChanged: {
      subject: "Ihre E-Mail-Adresse wurde geändert",
      notice:
        "Die E-Mail-Adresse Ihres Kontos wurde in {{newEmail}} geändert. Wenn Sie das nicht waren, setzen Sie Ihr Passwort auf der Anmeldeseite zurück und wenden Sie sich an den Support.",
    },
    signIn: {
      codeSubject: "Ihr Anmeldecode: {{userInputCode}}",
      linkSubject: "Ihr Anmeldelink",
      code: "Ihr Anmeldecode lautet {{userInputCode}}",
      link: "Öffnen Sie diesen Link, um sich anzumelden:",
      action: "Anmelden",
      expires: "Er ist {{expiresInMinutes}} Minuten gültig. Wenn Sie sich nicht anmelden wollten, ignorieren Sie diese E-Mail.",
      smsCode: "Ihr Anmeldecode lautet {{userInputCode}}.",
      smsLink: "Anmelden: {{link}}",
      smsExpires: "Gültig für {{expiresInMinutes}} Min.",
    },
  },
  fr: {
    hello: "Bonjour,",
    helloName: "Bonjour {{displayName}},",
    linkExpires: "Le lien expire dans {{expiresInMinutes}} minutes. Si vous n'avez rien demandé, ignorez cet e-mail.",
    emailVerify: { subject: "Vérifiez votre adresse e-mail", intro: "Ouvrez ce lien pour vérifier votre adresse e-mail :", action: "Vérifier l'adresse" },
    passwordReset: {
      subject: "Réinitialisez votre mot de passe",
      intro: "Ouvrez ce lien pour choisir un nouveau mot de passe :",
      action: "Réinitialiser le mot de passe",
    },
    emailConfirmChange: {
      subject: "Confirmez votre nouvelle adresse e-mail",
      intro: "Ouvrez ce lien pour faire de cette adresse celle de votre compte :",
      action: "Confirmer l'adresse",
    },
    emailChanged: {
      subject: "Votre adresse e-mail a été modifiée",
      notice:
        "L'adresse e-mail de votre compte a été remplacée par {{newEmail}}. Si ce n'est pas vous, réinitialisez votre mot de passe depuis la page de connexion et contactez le support.",
    },
    signIn: {
      codeSubject: "Votre code de connexion : {{userInputCode}}",
      linkSubject: "Votre lien de connexion",
      code: "Votre code de connexion est {{userInputCode}}",
      link: "Ouvrez ce lien pour vous connecter :",
      action: "Se connecter",
      expires: "Il expire dans {{expiresInMinutes}} minutes. Si vous n'avez pas demandé à vous connecter, ignorez cet e-mail.",
      smsCode: "Votre code de connexion est {{userInputCode}}.",
      smsLink: "Connexion : {{link}}",
      smsExpires: "Expire dans {{expiresInMinutes}} min.",
    },
  },
  es: {
    hello: "Hola:",
    helloName: "Hola, {{displayName}}:",
    linkExpires: "El enlace caduca en {{expiresInMinutes}} minutos. Si no lo has pedido, ignora este correo.",
    emailVerify: { subject: "Verifica tu dirección de correo", intro: "Abre este enlace para verificar tu dirección de correo:", action: "Verificar correo" },
    passwordReset: { subject: "Restablece tu contraseña", intro: "Abre este enlace para elegir una contraseña nueva:", action: "Restablecer contraseña" },
    emailConfirmChange: {
      subject: "Confirma tu nueva dirección de correo",
      intro: "Abre este enlace para que esta sea la dirección de tu cuenta:",
      action: "Confirmar correo",
    },
    emailChanged: {
      subject: "Tu dirección de correo ha cambiado",
      notice:
        "La dirección de correo de tu cuenta se cambió a {{newEmail}}. Si no fuiste tú, restablece tu contraseña desde la página de inicio de sesión y contacta con soporte.",
    },
    signIn: {
      codeSubject: "Tu código de acceso: {{userInputCode}}",
      linkSubject: "Tu enlace de acceso",
      code: "Tu código de acceso es {{userInputCode}}",
      link: "Abre este enlace para iniciar sesión:",
      action: "Iniciar sesión",
      expires: "Caduca en {{expiresInMinutes}} minutos. Si no has pedido iniciar sesión, ignora este correo.",
      smsCode: "Tu código de acceso es {{userInputCode}}.",
      smsLink: "Inicia sesión: {{link}}",
      smsExpires: "Caduca en {{expiresInMinutes}} min.",
    },
  },
  pt: {
    hello: "Olá,",
    helloName: "Olá, {{displayName}},",
    linkExpires: "O link expira em {{expiresInMinutes}} minutos. Se você não pediu isto, ignore este e-mail.",
    emailVerify: { subject: "Confirme seu endereço de e-mail", intro: "Abra este link para confirmar seu endereço de e-mail:", action: "Confirmar e-mail" },
    passwordReset: { subject: "Redefina sua senha", intro: "Abra este link para escolher uma nova senha:", action: "Redefinir senha" },
    emailConfirmChange: {
      subject: "Confirme seu novo endereço de e-mail",
      intro: "Abra este link para tornar este o endereço de e-mail da sua conta:",
      action: "Confirmar e-mail",
    },
    emailChanged: {
      subject: "Seu endereço de e-mail foi alterado",
      notice: "O endereço de e-mail da sua conta foi alterado para {{newEmail}}. Se não foi você, redefina sua senha na página de login e fale com o suporte.",
    },
    signIn: {
      codeSubject: "Seu código de acesso: {{userInputCode}}",
      linkSubject: "Seu link de acesso",
      code: "Seu código de acesso é {{userInputCode}}",
      link: "Abra este link para entrar:",
      action: "Entrar",
      expires: "Ele expira em {{expiresInMinutes}} minutos. Se você não pediu para entrar, ignore este e-mail.",
      smsCode: "Seu código de acesso é {{userInputCode}}.",
      smsLink: "Entrar: {{link}}",
      smsExpires: "Expira em {{expiresInMinutes}} min.",
    },
  },
};

/** Fills a phrase: plain text (escaping is the layout's job, once, for HTML). */
const fill = (phrase: string, view: object) => Mustache.render(phrase, view, {}, { escape: (value: string) => value });
/** Renders HTML: every `{{value}}` escaped by escape-html (& < > " '), which keeps links readable. */
const html = (template: string, view: object) => Mustache.render(template, view, {}, { escape: escapeHtml });

/** The layouts: `{{x}}` escapes for HTML (Mustache); the text parts are rendered unescaped. */
const LINK_TEXT = "{{greeting}}\n\n{{intro}}\n\n{{link}}\n\n{{expiry}}\n";
const LINK_HTML = '<p>{{greeting}}</p><p>{{intro}}</p><p><a href="{{link}}">{{action}}</a></p><p>{{expiry}}</p>';
const NOTICE_TEXT = "{{greeting}}\n\n{{notice}}\n\n{{link}}\n";
const NOTICE_HTML = '<p>{{greeting}}</p><p>{{notice}}</p><p><a href="{{link}}">{{link}}</a></p>';
const CODE_TEXT = "{{#code}}{{code}}\n\n{{/code}}{{#link}}{{linkIntro}}\n\n{{link}}\n\n{{/link}}{{expiry}}\n";
const CODE_HTML =
  '{{#code}}<p>{{codeIntro}} <strong>{{userInputCode}}</strong></p>{{/code}}{{#link}}<p><a href="{{link}}">{{action}}</a></p>{{/link}}<p>{{expiry}}</p>';

function builtIn(words: Phrases): Messages {
  const greeting = (input: TemplateInput) => (input.displayName ? fill(words.helloName, input) : words.hello);
  const linkEmail =
    (kind: "emailVerify" | "passwordReset" | "emailConfirmChange"): EmailTemplate =>
    (input) => {
      const view = { ...input, greeting: greeting(input), intro: words[kind].intro, action: words[kind].action, expiry: fill(words.linkExpires, input) };
      return { subject: words[kind].subject, text: fill(LINK_TEXT, view), html: html(LINK_HTML, view) };
    };
  return {
    emailVerify: linkEmail("emailVerify"),
    passwordReset: linkEmail("passwordReset"),
    emailConfirmChange: linkEmail("emailConfirmChange"),
    emailChanged(input) {
      const view = { ...input, greeting: greeting(input), notice: fill(words.emailChanged.notice, { newEmail: input.newEmail ?? "—" }) };
      return { subject: words.emailChanged.subject, text: fill(NOTICE_TEXT, view), html: html(NOTICE_HTML, view) };
    },
    signInEmail(input) {
      const { signIn } = words;
      const view = {
        ...input,
        code: input.userInputCode ? fill(signIn.code, input) : null,
        codeIntro: input.userInputCode ? fill(signIn.code, { userInputCode: "" }).trim() : null,
        linkIntro: signIn.link,
        action: signIn.action,
        expiry: fill(signIn.expires, input),
      };
      return {
        subject: input.userInputCode ? fill(signIn.codeSubject, input) : signIn.linkSubject,
        text: fill(CODE_TEXT, view),
        html: html(CODE_HTML, view),
      };
    },
    signInSms(input) {
      const { signIn } = words;
      return [input.userInputCode ? fill(signIn.smsCode, input) : "", input.link ? fill(signIn.smsLink, input) : "", fill(signIn.smsExpires, input)]
        .filter(Boolean)
        .join(" ");
    },
  };
}

const TEMPLATE_NAMES = ["emailVerify", "passwordReset", "emailConfirmChange", "emailChanged"] as const;

/**
 * Templates from a folder: `<locale>/<template>.subject`, `<template>.txt` and
 * `<template>.html`, Mustache with the template's input as the view (`{{link}}`,
 * `{{displayName}}`, `{{expiresInMinutes}}`, `{{email}}`, `{{newEmail}}`). A
 * part left out keeps the built-in one.
 */
function fromFolder(dir: string): Record<string, Partial<EmailTemplates>> {
  const found: Record<string, Partial<EmailTemplates>> = {};
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new StartupError(`EMAIL_TEMPLATES_DIR: cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  for (const locale of entries.filter((entry) => entry.isDirectory())) {
    const read = (file: string) => {
      try {
        return readFileSync(path.join(dir, locale.name, file), "utf8");
      } catch {
        return undefined;
      }
    };
    const builtIns = localeMessages(locale.name);
    for (const name of TEMPLATE_NAMES) {
      const parts = { subject: read(`${name}.subject`)?.trim(), text: read(`${name}.txt`), html: read(`${name}.html`) };
      if (parts.subject === undefined && parts.text === undefined && parts.html === undefined) continue;
      (found[locale.name] ??= {})[name] = (input) => {
        const fallback = builtIns[name](input);
        return {
          subject: parts.subject !== undefined ? fill(parts.subject, input) : fallback.subject,
          text: parts.text !== undefined ? fill(parts.text, input) : fallback.text,
          html: parts.html !== undefined ? html(parts.html, input) : fallback.html,
        };
      };
    }
  }
  return found;
}

/** The built-in messages closest to `locale`. */
function localeMessages(locale: string): Messages {
  const words = PHRASES[locale] ?? PHRASES[locale.split("-")[0]!.toLowerCase()] ?? PHRASES.en!;
  return builtIn(words);
}

export interface MessageOptions {
  defaultLocale: string;
  /** EMAIL_TEMPLATES_DIR. */
  dir?: string;
  /** For every locale (the embedder's `emailTemplates`). */
  everywhere?: Partial<EmailTemplates>;
  /** Per locale (the embedder's `emailTemplatesByLocale`). */
  byLocale?: Record<string, Partial<EmailTemplates>>;
}

export function createMessages(options: MessageOptions): LocalisedMessages {
  const folder = options.dir ? fromFolder(options.dir) : {};
  const cache = new Map<string, Messages>();
  const known = new Set([...Object.keys(PHRASES), ...Object.keys(folder), ...Object.keys(options.byLocale ?? {})]);
  /** The closest locale there are messages for: the tag, its language, else the default. */
  const resolve = (locale: string | null | undefined): string => {
    for (const candidate of [locale, locale?.split("-")[0]]) {
      if (!candidate) continue;
      const match = [...known].find((tag) => tag.toLowerCase() === candidate.toLowerCase());
      if (match) return match;
    }
    return options.defaultLocale;
  };
  return {
    locales: [...known].sort(),
    for(locale) {
      const chosen = resolve(locale);
      let messages = cache.get(chosen);
      if (!messages) {
        messages = { ...localeMessages(chosen), ...folder[chosen], ...options.byLocale?.[chosen], ...options.everywhere };
        cache.set(chosen, messages);
      }
      return messages;
    },
  };
}
