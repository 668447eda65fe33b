-- CreateTable
CREATE TABLE "PasswordlessDevice" (
    "preAuthSessionId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "email" TEXT,
    "phoneNumber" TEXT,
    "failedAttempts" INTEGER NOT NULL DEFAULT 0,
    "options" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PasswordlessDevice_pkey" PRIMARY KEY ("preAuthSessionId")
);

-- CreateTable
CREATE TABLE "PasswordlessCode" (
    "id" UUID NOT NULL,
    "preAuthSessionId" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "linkCodeHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PasswordlessCode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PasswordlessDevice_tenantId_email_idx" ON "PasswordlessDevice"("tenantId", "email");

-- CreateIndex
CREATE INDEX "PasswordlessDevice_tenantId_phoneNumber_idx" ON "PasswordlessDevice"("tenantId", "phoneNumber");

-- CreateIndex
CREATE UNIQUE INDEX "PasswordlessCode_linkCodeHash_key" ON "PasswordlessCode"("linkCodeHash");

-- CreateIndex
CREATE INDEX "PasswordlessCode_preAuthSessionId_idx" ON "PasswordlessCode"("preAuthSessionId");

-- AddForeignKey
ALTER TABLE "PasswordlessCode" ADD CONSTRAINT "PasswordlessCode_preAuthSessionId_fkey" FOREIGN KEY ("preAuthSessionId") REFERENCES "PasswordlessDevice"("preAuthSessionId") ON DELETE CASCADE ON UPDATE CASCADE;
