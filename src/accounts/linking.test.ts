import { describe, expect, it } from "vitest";
import { linkDecision } from "./linking.js";

describe("the linking rule", () => {
  it("creates an account for an address nobody has", () => {
    expect(linkDecision(null, true)).toBe("CREATE");
    expect(linkDecision(null, false)).toBe("CREATE");
  });

  it("joins an account only when the address is proven on both sides", () => {
    expect(linkDecision({ addressProven: true }, true)).toBe("JOIN");
  });

  it("starts the account clean when its owner proves an address nobody had proven", () => {
    expect(linkDecision({ addressProven: false }, true)).toBe("START_CLEAN");
  });

  it("refuses a method that does not prove the address, whatever the account", () => {
    expect(linkDecision({ addressProven: true }, false)).toBe("REFUSE");
    expect(linkDecision({ addressProven: false }, false)).toBe("REFUSE");
  });
});
